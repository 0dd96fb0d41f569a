"""Write stage: the output folder genplat owns, the planned tree committed atomically (journal and
build lock), the lock file ``out/genplat.lock.json`` and the fingerprint that skips unchanged builds."""
