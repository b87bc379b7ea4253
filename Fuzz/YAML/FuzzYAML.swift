import KansokuRules
import KansokuServer
import FuzzSupport

/// Fuzzes YAML loading: each input is read as a rule file (expressions checked by the
/// PromQL and LogQL parsers, as `kansoku rules check` does), as an SLO spec turned into
/// rules, and as the server's configuration file. Rule groups that load are written back
/// out, as the rules API does, and the text written is loaded again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let text = FuzzSupport.text(data, size)
    if let groups = try? RuleFileParser.parse(text, file: "fuzz.yaml", validator: RuleFiles.parserValidator),
       let written = try? RuleYAMLWriter.rulesDocument(groups) {
        _ = try? RuleFileParser.parse(written, file: "written.yaml")
    }
    _ = try? SLOGenerate.generate(text, file: "fuzz.yaml")
    _ = try? KansokuConfig.parse(text, path: "fuzz.yaml")
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
