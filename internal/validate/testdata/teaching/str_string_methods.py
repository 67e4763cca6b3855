s = "  Learning Python is fun  "
print(s.strip())
print(s.lower().strip())
print(s.replace("fun", "great").strip())
print(s.split())
print("-".join(s.split()))
print(s.count("n"), s.find("Python"), s.strip().startswith("Learn"))
