"""A stand-in for the original's `openclaw_memory` module, so the seed's examples run
unchanged but for their taskexec import. The original OperationalMemory wrapped a Neo4j
driver; this one names no server, so an owned service uses the embedded store."""


class OperationalMemory:
    def __init__(self, uri=None, user=None, password=None):
        self.uri = uri
        self.user = user
        self.password = password
