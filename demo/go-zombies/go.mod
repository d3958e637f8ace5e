module example.com/go-zombies

go 1.19
