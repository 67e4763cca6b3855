def run(command):
    match command.split():
        case ["go", direction]:
            return f"going {direction}"
        case ["take", *items] if items:
            return "taking " + ", ".join(items)
        case ["quit" | "exit"]:
            return "bye"
        case _:
            return f"unknown: {command!r}"


for c in ["go north", "take lamp key", "take", "exit", "dance"]:
    print(run(c))
