"""The named SPARQL questions, one .rq file each (a package so that wheels ship the files)."""
