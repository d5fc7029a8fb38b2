mod cli;
mod games;
mod health;
mod helpers;
mod predictions;
mod reference;
