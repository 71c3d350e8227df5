import BridgePlugin
import CNI

PluginRunner.main(BridgePlugin.self)
