"""`python3 -m harness CONFIG RESULT` prints the JSON file CONFIG (one plugin's config) as a runtime
hands it to that plugin with the JSON file RESULT as prevResult (`chain.request`): for scripts,
such as the demo's DEL."""

import json
import sys

from .chain import request

if len(sys.argv) != 3:
    sys.exit(__doc__)
with open(sys.argv[1]) as config, open(sys.argv[2]) as result:
    print(json.dumps(request(json.load(config), json.load(result))))
