mod backends;
mod cli;
mod games;
mod health;
mod helpers;
mod model;
mod predictions;
mod reference;
