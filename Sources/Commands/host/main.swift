import CNI
import HostPlugin

PluginRunner.main(HostPlugin.self)
