"""Everything that talks to Bitbucket Cloud over HTTP lives in this package."""
