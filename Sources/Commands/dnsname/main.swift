import CNI
import DNSNamePlugin

PluginRunner.main(DNSNamePlugin.self)
