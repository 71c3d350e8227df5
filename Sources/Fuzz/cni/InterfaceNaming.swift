import Addressing
import BridgePlugin
import CNI
import MacvlanPlugin
import PortmapPlugin

/// A plugin config's interface names, which `Invariants` holds to the kernel's rules.
protocol InterfaceNaming {
    var interfaceNames: [InterfaceName] { get }
}

extension BridgeConfig: InterfaceNaming {
    var interfaceNames: [InterfaceName] { [bridge] }
}

extension MacvlanConfig: InterfaceNaming {
    var interfaceNames: [InterfaceName] { master.map { [$0] } ?? [] }
}

extension PortmapConfig: InterfaceNaming {
    var interfaceNames: [InterfaceName] { [] }
}

extension EmptyConfig: InterfaceNaming {
    var interfaceNames: [InterfaceName] { [] }
}
