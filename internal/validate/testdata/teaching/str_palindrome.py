def is_palindrome(text):
    cleaned = [c.lower() for c in text if c.isalnum()]
    return cleaned == cleaned[::-1]


for phrase in ["A man, a plan, a canal: Panama", "racecar", "python"]:
    print(phrase, "->", is_palindrome(phrase))
