"""The page kit every feature's pages share: how domain values read, error
pages, and refusals shown beside their field. It imports no feature, so every
feature may use it; the home page and the menus, which know the features, are
``home.py`` and ``navigation.py`` at the top of the package."""
