/// How an overlay spreads over its hosts.
public enum VXLANMode: String, Decodable, Sendable {
    /// One subnet across every host, as Docker's overlay driver: containers of all hosts share one
    /// layer-2 segment.
    case l2
    /// A subnet per host, routed between hosts, as flannel's VXLAN backend.
    case routed
}
