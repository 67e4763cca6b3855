import copy

board = [[0] * 3 for _ in range(3)]
shallow = copy.copy(board)
deep = copy.deepcopy(board)
board[0][0] = 9
print(shallow[0][0], deep[0][0])
wrong = [[0] * 3] * 3
wrong[0][0] = 1
print(wrong)
