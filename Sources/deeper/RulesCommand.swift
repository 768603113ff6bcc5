import ArgumentParser
import DeeperData

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the full default rules file (every constant of the metric spec).",
        discussion: """
            Save it, change what you want to try, and pass it with --rules FILE
            (or DEEPER_RULES). Keys you delete keep their defaults; an unknown key
            or a bad value is an error naming the key.
            With --check FILE, validates a rules file and prints it back with the
            defaults filled in.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Validate this rules file instead.", valueName: "FILE"))
    var check: String?

    func run() throws {
        if let check {
            let rules = try loadRules(path: check)
            print(RulesFile.render(rules), terminator: "")
        } else {
            print(RulesFile.render(), terminator: "")
        }
    }
}
