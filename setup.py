"""Package layout: the library in src/, the runner in runner/, the shipped YAML in config/.

`config/` stays at the top of the repository (where users look for it) and is installed as the
package-data package `accountbuilder.defaults`, so an installed wheel finds its defaults too.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages("src"),
        *find_packages("runner"),
        "accountbuilder.defaults",
    ],
    package_dir={
        "": "src",
        "accountbuilder_runner": "runner/accountbuilder_runner",
        "accountbuilder.defaults": "config",
    },
    package_data={
        "accountbuilder.defaults": ["*.yaml"],
        "accountbuilder.data": ["*.csv.gz", "*.md", "*.json"],
    },
)
