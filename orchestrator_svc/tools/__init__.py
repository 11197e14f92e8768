"""The agent's tools (SPEC.md's list, REFERENCE.md §2.4): each a name, a description, a JSON
schema its arguments are checked against before it runs, and whether it is sensitive (it
then creates an approval instead of acting, unless the context holds a grant)."""
