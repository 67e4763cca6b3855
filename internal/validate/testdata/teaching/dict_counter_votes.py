from collections import Counter

votes = ["red", "blue", "red", "green", "blue", "red"]
tally = Counter(votes)
winner, count = tally.most_common(1)[0]
print(tally)
print(f"winner: {winner} with {count} votes")
