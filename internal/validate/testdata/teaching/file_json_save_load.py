import json

settings = {"theme": "dark", "font_size": 14, "recent": ["a.py", "b.py"]}
with open("/tmp/settings.json", "w") as f:
    json.dump(settings, f, indent=2)

with open("/tmp/settings.json") as f:
    loaded = json.load(f)
print(loaded == settings, loaded["recent"])
