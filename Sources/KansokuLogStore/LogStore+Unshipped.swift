public import KansokuCore

extension LogStore {
    /// `tenant`'s streams matching `matchers` with their decoded blocks overlapping
    /// `[from, through]`, leaving out stored chunks a reader already has elsewhere: `shipped`
    /// maps a segment file (relative to the store directory) to the byte ranges of its chunks
    /// the reader found in a bucket. What remains is what only this store can answer: heads,
    /// blocks not yet written, and chunks not yet shipped (or shipped after the reader looked).
    public func unshippedBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                                shipped: [String: [Range<Int64>]]) throws(LogStoreError) -> [(labels: Labels, blocks: [DecodedBlock])] {
        var out: [(labels: Labels, blocks: [DecodedBlock])] = []
        for (stream, refs) in streamBlocks(tenant: tenant, matchers: matchers, from: from, through: through) {
            var blocks: [DecodedBlock] = []
            for ref in refs {
                if case let .disk(location, _, _, _) = ref.source,
                   shipped[location.file]?.contains(where: { $0.contains(location.offset) }) == true {
                    continue
                }
                blocks.append(try readBlock(ref))
            }
            if !blocks.isEmpty { out.append((stream.labels, blocks)) }
        }
        return out
    }
}
