import shared


def main() -> None:
    print("worker", shared.VERSION)
