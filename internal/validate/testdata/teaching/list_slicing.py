letters = list("abcdefghij")
print(letters[2:5])
print(letters[:3], letters[-3:])
print(letters[::2])
print(letters[::-1])
letters[1:3] = ["X", "Y", "Z"]
print(letters)
del letters[::3]
print(letters)
