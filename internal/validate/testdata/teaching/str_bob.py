def response(message):
    message = message.strip()
    if not message:
        return "Fine. Be that way!"
    shouting = message.isupper()
    question = message.endswith("?")
    if shouting and question:
        return "Calm down, I know what I'm doing!"
    if shouting:
        return "Whoa, chill out!"
    if question:
        return "Sure."
    return "Whatever."


for m in ["How are you?", "WATCH OUT!", "", "Let's go.", "WHAT?"]:
    print(repr(m), "->", response(m))
