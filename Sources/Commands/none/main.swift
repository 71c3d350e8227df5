import CNI
import NonePlugin

PluginRunner.main(NonePlugin.self)
