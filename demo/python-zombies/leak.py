"""python-zombies: leaks one zombie (<defunct>) child per second.

subprocess.Popen starts a child; the Popen object is kept in a list, so neither
wait()/poll()/communicate() nor Popen.__del__ ever collects its exit status. The child
exits at once and stays a zombie until this program exits.

Fix: proc.wait() (or subprocess.run), or poll() the kept objects now and then.

    /usr/bin/python3 leak.py [binary] [seconds]
"""
import os
import subprocess
import sys
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "/bin/true"
every = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
kept = []  # holding the Popen objects is what keeps Python from reaping them

subprocess.run([binary], check=True)  # OK: run() waits, this check of the binary leaves no zombie
print(f"python-zombies: pid {os.getpid()} starts {binary} every {every}s and never waits", flush=True)
while True:
    proc = subprocess.Popen([binary])  # LEAK: Popen kept, never wait()ed: the child becomes a zombie
    kept.append(proc)
    print(f"started #{len(kept)}: pid {proc.pid} (never waited)", flush=True)
    time.sleep(every)
