phonebook = {"Ada": "555-0101", "Grace": "555-0199"}
phonebook["Alan"] = "555-0150"
for name, number in sorted(phonebook.items()):
    print(f"{name:6} {number}")
print(phonebook.get("Linus", "unknown"))
del phonebook["Grace"]
print(len(phonebook), "entries")
