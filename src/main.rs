fn main() -> std::process::ExitCode {
    paperboy::cli::main()
}
