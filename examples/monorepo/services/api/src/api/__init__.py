import shared


def main() -> None:
    print("api", shared.VERSION)
