import matplotlib.pyplot as plt

languages = ["Python", "C", "Java", "Go"]
votes = [42, 18, 25, 11]
plt.bar(languages, votes, color="steelblue")
plt.ylabel("votes")
plt.tight_layout()
plt.savefig("/tmp/votes.png", dpi=80)
print(max(zip(votes, languages)))
