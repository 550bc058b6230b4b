# filework: the python3 workload of bench/. Writes 3000 small JSON files
# into argv[1], reads them back, splits, joins and re-encodes their text, and
# prints a checksum that depends only on the file contents.
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i in range(3000):
    words = [f"w{(i * 31 + j) % 1009}" for j in range(40)]
    doc = {"id": i, "words": words, "text": " ".join(words)}
    with open(os.path.join(out, f"f{i:05d}.json"), "w") as f:
        json.dump(doc, f)

total = 0
for name in sorted(os.listdir(out)):
    with open(os.path.join(out, name)) as f:
        doc = json.load(f)
    parts = doc["text"].split(" ")
    total += len("-".join(reversed(parts))) + sum(len(p) for p in parts)
    total += len(json.dumps({"n": doc["id"], "up": doc["text"].upper()}))
print("files", len(os.listdir(out)), "checksum", total)
