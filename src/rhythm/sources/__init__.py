"""The data coming in: the generated demo AIST++ tree, stand-in trees for dry runs, AIST Dance DB
downloads, source videos checked and linked, and a look inside any AIST++ pickle."""
