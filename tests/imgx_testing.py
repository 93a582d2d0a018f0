"""Constants for the tests: where the vendored published vectors live, pinned times, canary secrets.

A module with a unique name (not conftest) so that nested conftest files cannot shadow it."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the published vectors, vendored with their licences (tests/data/vectors/README.md): the suite
#: needs nothing outside the repository
VECTORS = Path(__file__).resolve().parent / "data" / "vectors"
AWS_AT = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
AWS_AK = "AKIDEXAMPLE"
AWS_SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AWS_TOKEN = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

# canaries: if one of these shows up in any view, a secret leaked
CANARY_SECRET = "CANARYsecretKEY0123456789abcdefXYZ"
CANARY_TOKEN = "STS2CANARYtokenVALUE9876543210zyxw"
CANARY_SESSIONID = "0123456789abcdef0123456789abcdef"
CANARY_AUTH = "SpaceKey/canary/1/:version:v2:CANARYauthTOKENvalue"


