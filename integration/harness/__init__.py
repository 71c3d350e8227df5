"""Plumbing shared by the integration tests, the benchmarks and the demo, one module per concern:

- `names`: this session's prefixes (every object a test makes carries one), where the plugins are
- `processes`: running commands and plugins (`Invocation`), subreaping, a cgroup that cannot fork
- `namespaces`: namespaces and links as `ip` shows them
- `chain`: prevResult chaining as libcni does it
- `networks`: plugin stacks, test networks and their attachments
- `dns`: bridge + dnsname chains, their cni-dns responders, a stub upstream resolver
- `nft`: swift-cni's nftables tables as the `nft` command shows them
- `sweep`: removing what this or a dead earlier session left
- `etcd`: a real etcd on loopback for the etcd store's tests
- `cnitool`: cnitool's main built over Debian's libcni, the reference runner

The names below are the ones callers use as `harness.<name>`.
"""

from .chain import ChainRun, plugin_confs, request, run_chain
from .names import ALL_VERSIONS, BRIDGE_PREFIX, NS_PREFIX, PID, REFERENCE_DIR, REPO, ours_dir
from .namespaces import (Netns, addresses, bridge_ports, create_netns, delete_bridge, delete_link, delete_netns,
                         host_routes_overlap, host_veths, link, link_exists, links, netns_names, routes)
from .networks import Attachment, Network, Stack, host_local_leases
from .processes import (Invocation, adopting_orphans, finish_plugin, limited_to_one_process, plugin_env, run_plugin,
                        sh, start_plugin, wait_until)
from .sweep import absent_reference_tables, remove_reference_tables, sweep, sweep_dead_sessions
from .etcd import EtcdServer, etcd_available
from .cnitool import build_cnitool, cnitool_availability
