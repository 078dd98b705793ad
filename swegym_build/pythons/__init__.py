"""Where the Pythons of base images come from (uv-managed builds, Debian releases): shared by
`versions` (what can be had, chosen once per version) and `build` (putting it in an image)."""
