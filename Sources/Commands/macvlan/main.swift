import CNI
import MacvlanPlugin

PluginRunner.main(MacvlanPlugin.self)
