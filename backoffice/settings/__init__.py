"""Settings package.

``base`` reads everything from the environment with safe defaults; ``local`` is the
quick-start profile used by ``make run``; ``production`` hardens cookies, headers and
TLS and refuses to start without ``SECRET_KEY``; ``test`` is what ``make test`` uses.
"""
