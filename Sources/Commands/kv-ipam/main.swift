import CNI
import KVIPAMPlugin

PluginRunner.main(KVIPAMPlugin.self)
