"""The reviewer's desk: a local web app over the store (``gongkai review``)."""
