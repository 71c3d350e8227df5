import CNI

extension AttachmentRequest {
    /// CHECK's reference: the result of the ADD it verifies, which the runtime must pass as
    /// `prevResult`.
    public func expectedResult() throws -> CNIResult {
        guard let expected = network.prevResult else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult, the result of the ADD it verifies")
        }
        return expected
    }
}
