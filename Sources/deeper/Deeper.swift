import ArgumentParser

@main
struct Deeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeper",
        abstract: "Microstructure signals (GRPAN, RWVAP, GOD, ROD, SRPAN) from trade prints of thin markets.",
        discussion: """
            Offline:
              deeper generate --symbols 40 --universe-out universe.csv > prints.csv
              deeper analyze prints.csv --universe universe.csv
            Every number is defined in docs/SPEC.md; `deeper rules` prints every
            tunable constant as a YAML rules file.
            """,
        subcommands: [
            Analyze.self, Generate.self, RulesCommand.self, Replay.self, LoadUniverse.self, WorkerCommand.self,
            Submit.self, Serve.self,
        ]
    )

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `deeper serve …` is `deeper-api …`, before any parsing, so that every flag and
        // `--help` reach the server as they are.
        if arguments.first == Serve.configuration.commandName {
            Sibling.exec(Sibling.apiServer, arguments: Array(arguments.dropFirst()))
        }
        await main(arguments)
    }
}
