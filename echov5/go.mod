module github.com/jwtgate/jwtgate/echov5

go 1.25.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtgate/jwtgate v0.1.0
	github.com/labstack/echo/v5 v5.4.4
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace github.com/jwtgate/jwtgate => ../
