"""The example's package: prints the version of requests it runs with."""

import requests


def main() -> None:
    print(f"hello from requests {requests.__version__}")
