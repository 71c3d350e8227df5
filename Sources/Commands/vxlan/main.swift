import CNI
import VXLANPlugin

PluginRunner.main(VXLANPlugin.self)
