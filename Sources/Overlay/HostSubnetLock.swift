import Glibc

/// The host's lock between the plugin and the agent over one network's host subnet (`flock` on a
/// file in the data directory): ADDs hold it shared while they set up a container on the subnet;
/// giving the subnet back holds it exclusively (a DEL marking it idle, the agent taking its
/// addresses off the host), so that neither happens while an ADD is putting a container on it.
/// Closing the file (when the value goes) releases it.
public final class HostSubnetLock {
    private let descriptor: Int32

    /// `nil` when the file cannot be opened, or when `exclusive` and not `waiting` and another
    /// process holds the lock.
    public init?(path: String, exclusive: Bool, waiting: Bool) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (waiting ? 0 : LOCK_NB)
        while flock(descriptor, operation) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                return nil
            }
        }
    }

    deinit { close(descriptor) }

    /// The lock of `network`'s host subnet in data directory `dataDir`.
    public static func path(dataDir: String, network: String) -> String {
        (dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir) + "/vxlan-subnet-" + network + ".lock"
    }
}
