"""simkafka's core must import where only the standard library exists (Pyodide in a browser)."""

import subprocess
import sys


def test_core_imports_no_compiled_or_network_dependency():
    code = (
        "import sys, simkafka\n"
        "c = simkafka.SimCluster(seed=0)\n"
        "c.create_topic('user-accounts', 3)\n"
        "c.producer().send('user-accounts', key=b'acct-1', value=b'created').get()\n"
        "q = simkafka.SimQueue(seed=0)\n"
        "loaded = [m for m in ('pandas', 'numpy', 'kafka', 'pika', 'socket') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
