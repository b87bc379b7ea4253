/// The version of Kansoku, printed by `--version` and carried in build info and generated rules.
public enum KansokuVersion {
    public static let string = "0.1.0"
}
