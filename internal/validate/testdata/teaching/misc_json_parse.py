import json

raw = '{"users": [{"name": "ana", "langs": ["py", "go"]}, {"name": "ben", "langs": []}]}'
data = json.loads(raw)
for user in data["users"]:
    print(user["name"], len(user["langs"]))
print(json.dumps(data["users"][0], sort_keys=True))
