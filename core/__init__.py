"""The shared kernel of Recovery Commons: settings, database, accounts, auth, audit, app factory."""
