import CNI
import PortmapPlugin

PluginRunner.main(PortmapPlugin.self)
